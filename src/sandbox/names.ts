/** Word lists both sandboxes draw demo records from. */
export const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Dennis', 'Frances', 'John', 'Radia', 'Edsger', 'Sophie', 'Tim', 'Hedy', 'Donald'];
export const LAST_NAMES = ['Lovelace', 'Hopper', 'Turing', 'Torvalds', 'Hamilton', 'Thompson', 'Liskov', 'Ritchie', 'Allen', 'McCarthy', 'Perlman', 'Dijkstra', 'Wilson', 'Berners-Lee', 'Lamarr', 'Knuth'];
export const COMPANY_WORDS = ['Cloud', 'Cave', 'Orbit', 'Delta', 'Granite', 'Harbor', 'Signal', 'Vertex', 'Pioneer', 'Summit', 'Quartz', 'Lumen', 'Atlas', 'Beacon', 'Cobalt', 'Nimbus'];
export const JOB_TITLES = ['VP Sales', 'Head of Marketing', 'CTO', 'Account Executive', 'SDR', 'Founder'];
