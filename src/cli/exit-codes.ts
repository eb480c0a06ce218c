/** The command line's exit codes, the same for every command. */
export const EXIT_OK = 0;
/** A failure: unknown job, store or receiver unreachable, an answer other than 2xx, declined. */
export const EXIT_FAILURE = 1;
/** Bad usage: an unknown command, option or event name, a malformed value. */
export const EXIT_USAGE = 2;
