// The contract's errors, and the coded base the client's errors share. @duet/websocket has its own
// DuetError; this one exists because the contract and the client run in browsers and import nothing.

/** Base of the contract's and the client's errors: `name` is the class name, `code` is stable. */
export abstract class CodedError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** `defineContract` was given something it cannot use; `field` names the part at fault. */
export class ContractError extends CodedError {
  readonly code = 'DUET_ERR_CONTRACT';

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`Invalid contract: ${field} ${message}`);
  }
}
