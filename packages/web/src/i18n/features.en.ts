/**
 * The texts of feature modules kept outside en.ts (which is at its size limit): settings and push,
 * and the error texts of the push and moments calls, spread into `errors`.
 */
import { momentsErrors } from './moments.en.js';
import { pushErrors } from './settings.en.js';

export { push, settings } from './settings.en.js';
export const featureErrors = { ...pushErrors, ...momentsErrors };
