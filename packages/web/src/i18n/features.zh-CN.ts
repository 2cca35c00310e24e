/**
 * The texts of feature modules kept outside zh-CN.ts (which is at its size limit): settings and push,
 * and the error texts of the push and moments calls, spread into `errors`.
 */
import { momentsErrors } from './moments.zh-CN.js';
import { pushErrors } from './settings.zh-CN.js';

export { push, settings } from './settings.zh-CN.js';
export const featureErrors = { ...pushErrors, ...momentsErrors };
