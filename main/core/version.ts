import pkg from '../../package.json';

/** The application version from package.json, fixed at build time. */
export const APP_VERSION: string = pkg.version;
export const APP_NAME: string = pkg.productName;
