/**
 * Sends one MessageInternalService.SendMessageBatch call may carry: the contract between the
 * gateways that gather them and the message service that refuses more. The message
 * service's group commit takes up to as many in one transaction.
 */
export const MAX_SEND_BATCH = 256;

/**
 * Cursors one MessageInternalService.MarkDeliveredBatch call may carry: the contract
 * between the gateways that gather them and the message service that refuses more.
 */
export const MAX_DELIVERED_BATCH = 1000;
