/** The report's shapes are the views' (views/types.ts). */
export * from '../views/types.js';
