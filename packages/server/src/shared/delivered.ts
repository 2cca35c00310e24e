/**
 * Cursors one MessageInternalService.MarkDeliveredBatch call may carry: the contract
 * between the gateways that gather them and the message service that refuses more.
 */
export const MAX_DELIVERED_BATCH = 1000;
