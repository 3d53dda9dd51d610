/** The workflow bundle's entry point: every workflow the worker runs. */
export { integrationWorkflow } from './integration';
export { pullWorkflow } from './pull';
