/** Settings every test cluster runs with: fast hashing, no send limits in the way, quick presence. */
export const clusterTestEnv: Record<string, string> = {
  MYCHAT_AUTH_ARGON2_MEMORY_KIB: '1024',
  MYCHAT_AUTH_ARGON2_TIME_COST: '1',
  MYCHAT_AUTH_SEND_PER_IP_PER_HOUR: '1000000',
  MYCHAT_AUTH_CODE_TRIES_PER_IP_PER_HOUR: '1000000',
  MYCHAT_AUTH_LOGIN_PER_IP_PER_WINDOW: '1000000',
  MYCHAT_AUTH_SEND_COOLDOWN_SECONDS: '0',
  MYCHAT_AUTH_SEND_PER_DESTINATION_PER_HOUR: '1000',
  MYCHAT_MESSAGE_SEND_BURST: '100000',
  MYCHAT_MESSAGE_SEND_RATE_PER_SECOND: '100000',
  MYCHAT_WS_PRESENCE_DEBOUNCE_MS: '200',
  // Internal deadlines for a machine running several test files at once.
  MYCHAT_RPC_TIMEOUT_MS: '20000',
};
