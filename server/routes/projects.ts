import type { DataLayer } from '../data/index.js';
import type { Operations } from './handler.js';

export function projectOperations(_data: DataLayer): Operations {
  return {};
}
