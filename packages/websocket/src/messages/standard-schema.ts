// The Standard Schema v1 interface (standardschema.dev), from @duet/contract, which a service and
// its clients share: any validator that implements it (zod ≥ 3.24, valibot, arktype…) can check
// a typed message, and the core depends on no validation library.
export { isStandardSchema } from '@duet/contract';
export type { InferOutput, StandardIssue, StandardResult, StandardSchemaV1 } from '@duet/contract';
