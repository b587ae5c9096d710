// Codec layer: the generic netlink controller (resolving a family's id by name).
import { encodeGenlMessage, genlAttrsStart, NLM_F_ACK, NLM_F_REQUEST, type RawMessage } from './message.js';
import { decodeAttrs, defineTable, type AttrTable } from './nla.js';

/** GENL_ID_CTRL is the controller's own family id. */
export const GENL_ID_CTRL = 16;
/** CTRL_CMD_GETFAMILY asks the controller for one family. */
export const CTRL_CMD_GETFAMILY = 3;
/** CTRL_CMD_NEWFAMILY is the controller's answer. */
export const CTRL_CMD_NEWFAMILY = 1;

/** ctrlTable is the subset of CTRL_ATTR_* lvsd reads (include/uapi/linux/genetlink.h). */
export const ctrlTable: AttrTable = defineTable('ctrl', [
  { name: 'familyId', id: 1, kind: 'u16' },
  { name: 'familyName', id: 2, kind: 'string' },
  { name: 'version', id: 3, kind: 'u32' },
  { name: 'hdrSize', id: 4, kind: 'u32' },
  { name: 'maxAttr', id: 5, kind: 'u32' },
]);

/** encodeGetFamily builds CTRL_CMD_GETFAMILY for a family name (controller version 1, as libnl sends). */
export function encodeGetFamily(name: string, seq: number): Buffer {
  return encodeGenlMessage({ family: GENL_ID_CTRL, cmd: CTRL_CMD_GETFAMILY, version: 1, flags: NLM_F_REQUEST | NLM_F_ACK, seq }, ctrlTable, { familyName: name });
}

/** FamilyInfo is what the controller says about a family. */
export interface FamilyInfo {
  readonly id: number;
  readonly name: string;
  readonly version: number;
  readonly maxAttr: number;
}

/** decodeFamily reads a CTRL_CMD_NEWFAMILY reply. */
export function decodeFamily(buf: Buffer, msg: RawMessage): FamilyInfo {
  const a = decodeAttrs(ctrlTable, buf, genlAttrsStart(msg), msg.end);
  return { id: (a.familyId as number) ?? 0, name: (a.familyName as string) ?? '', version: (a.version as number) ?? 0, maxAttr: (a.maxAttr as number) ?? 0 };
}
