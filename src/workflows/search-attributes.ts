import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Let operators filter integrations in the Temporal UI by workspace, CRM and phase. */
export const WORKSPACE_ATTR = defineSearchAttributeKey('CrmWorkspaceId', SearchAttributeType.KEYWORD);
export const CRM_ATTR = defineSearchAttributeKey('CrmProvider', SearchAttributeType.KEYWORD);
export const PHASE_ATTR = defineSearchAttributeKey('CrmPhase', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [WORKSPACE_ATTR, CRM_ATTR, PHASE_ATTR];
