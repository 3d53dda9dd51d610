import { OWNER_PERMISSION, type ObjectKind, type Permission } from './types';

/** What a pull does with the owner a CRM record carries (seed 001, "owner changes"). */
export type OwnerDecision =
  | { action: 'keep' }
  | { action: 'apply'; ownerUserId: string | null }
  | { action: 'logMissingPermission'; permission: Permission; wantedOwnerUserId: string | null }
  | { action: 'logUnlinkedOwner'; crmOwnerId: string };

export interface OwnerContext {
  kind: ObjectKind;
  /** CRM owner id -> workspace user id, from the users' CRM owner links. */
  ownerLinks: ReadonlyMap<string, string>;
  syncUserPermissions: ReadonlySet<string>;
}

/**
 * Decides whether the workspace owner follows the CRM owner. It changes only when the CRM's owner,
 * mapped through the owner links, differs from the current one, and only if the sync user may assign
 * owners of that kind. An owner linked to no workspace user is reported, never guessed.
 */
export function decideOwner(
  ctx: OwnerContext,
  crmOwnerId: string | null,
  currentOwnerUserId: string | null,
): OwnerDecision {
  let wanted: string | null = null;
  if (crmOwnerId) {
    const linked = ctx.ownerLinks.get(crmOwnerId);
    if (!linked) return { action: 'logUnlinkedOwner', crmOwnerId };
    wanted = linked;
  }
  if (wanted === currentOwnerUserId) return { action: 'keep' };
  const permission = OWNER_PERMISSION[ctx.kind];
  if (!ctx.syncUserPermissions.has(permission)) {
    return { action: 'logMissingPermission', permission, wantedOwnerUserId: wanted };
  }
  return { action: 'apply', ownerUserId: wanted };
}
