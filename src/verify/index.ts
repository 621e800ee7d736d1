export { verifyPresentation, DEFAULT_VERIFY_CONCURRENCY, type VerifyFormatCounts, type VerifyOptions, type VerifyProgress, type VerifyReport } from './verifyPresentation.js';
export { VerifyCode, type VerifyCodeValue, type VerifyProblem } from './problem.js';
export { checkFragment, type ExpectedFragment, type FragmentCheck } from './checkFragment.js';
export { parseManifestUrl, redactUrl, type ManifestLocation } from './manifestUrl.js';
