// Named imports let the bundlers keep just these two fields instead of all of package.json.
import { productName, version } from '../../package.json';

/** The application version from package.json, fixed at build time. */
export const APP_VERSION: string = version;
export const APP_NAME: string = productName;
