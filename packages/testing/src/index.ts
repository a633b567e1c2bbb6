// The public API of @duet/testing, listed by name.
export {
  TEST_CLIENT_TIMEOUT,
  TestApp,
  closeTestApps,
  createTestApp,
  type TestAppDoubles,
  type TestAppSource,
  type TestBindings,
  type TestClientConfig,
  type TestContainerOptions,
  type TestServicesOptions,
} from './test-app';
export type { HttpResponse } from './http-get';
export { DEFAULT_WAIT_TIMEOUT_MS, eventually, waitFor, waitForClose, type ObservedClose, type WaitOptions } from './waits';
export { ClosedWhileWaitingError, WaitTimeoutError, type ReceivedMessage } from './wait-errors';
