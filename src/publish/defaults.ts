// Its own module: the CLI shows it in `publish --help` without loading the publisher.
export const DEFAULT_CONCURRENCY = 32;
