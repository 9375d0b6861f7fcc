// Only for server.ts's import (another change is rewriting it): delete this file once it imports from the store.
export { isTokenRevoked } from '../store/reads';
