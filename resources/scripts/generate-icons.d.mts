/** Types for generate-icons.mjs, used by test/packaging. */
export declare const PNG_SIZES: number[];
export declare const ICO_SIZES: number[];
export declare const ICNS_ENTRIES: Array<[string, number]>;
export declare function buildIco(pngsBySize: Map<number, Buffer>): Buffer;
export declare function buildIcns(pngsBySize: Map<number, Buffer>): Buffer;
