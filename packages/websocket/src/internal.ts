// `@duet/websocket/internal`: what Duet's sibling packages (@duet/redis, @duet/testing) need
// from the core and users do not. Not public API: it changes with the core, in step with the
// siblings released beside it. Listed by name, like the public index.
export { WEB_SOCKET_MODULE, type ModuleDefinition } from './module';
export {
  type ConfigErrorFactory,
  TOKEN,
  bytes,
  choice,
  count,
  describeValue,
  milliseconds,
  nonEmptyString,
  seconds,
  tokenList,
} from './validate';
export { MAX_TIMER_MS, timerSecondsProblem } from './timer-limits';
