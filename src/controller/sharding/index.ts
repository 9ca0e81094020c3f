export { LOAD_FACTOR, SLOTS, ownerOf, slotOf, slotTable } from './assignment.js';
export { refusal, sameView, type PeerLease, type SelfState, type ShardView } from './ownership.js';
export {
  API_URL_ANNOTATION,
  API_URL_SIGNATURE_ANNOTATION,
  MEMBER_LABEL,
  VIEW_ANNOTATION,
  Membership,
  leaseName,
  type ShardingOptions,
} from './membership.js';
export { ShardGate, pinsFromSecrets, type ShardGateDeps } from './gate.js';
export { SHARDING_FLAGS, SHARDING_FLAGS_HELP, shardingFromFlags } from './flags.js';
