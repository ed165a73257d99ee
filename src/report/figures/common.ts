/** The figure helpers live in views/figures/common.ts; figures still under report/figures import them from here. */
export * from '../../views/figures/common.js';
