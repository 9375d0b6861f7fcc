import { Migration20261122000000_initial } from './Migration20261122000000_initial';

/** Every migration in order; listed explicitly so compiled and ts-jest runs find the same set. */
export const MIGRATIONS = [{ name: 'Migration20261122000000_initial', class: Migration20261122000000_initial }];
