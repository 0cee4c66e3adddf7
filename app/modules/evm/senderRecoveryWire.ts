/**
 * Message layout between {@link SenderRecoveryPool} and its workers. Request items are packed
 * as [msgHash 32 | r‖s 64 | recovery id 1]; replies as 20-byte addresses plus a failed flag each.
 */
export const ITEM_BYTES = 97
export const ADDRESS_BYTES = 20
