// States written by Dynoform 0.1 load their provider from this path (an absolute path into
// dist/provider/ was serialized into them): keep it, so `refresh` and `destroy` still work.
export { provider } from "./formations/formation-provider";
