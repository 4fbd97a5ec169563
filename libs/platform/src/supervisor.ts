/** The message a service sends its parent once it listens (see `announceListening`). */
export interface ListeningMessage {
  chatq: 'listening';
  port: number;
}

/**
 * Tells a parent that started this process with an IPC channel (a test harness, the benchmark, a
 * supervisor) which port it listens on. The parent can then pass port 0 and let the OS choose: a
 * port picked in advance and freed can be taken by another process before the service binds it.
 * Without a channel (the usual case) it does nothing.
 */
export function announceListening(port: number): void {
  if (!process.send) return;
  process.send({ chatq: 'listening', port } satisfies ListeningMessage);
  // The channel must not keep the process alive: shutdown ends it as if there were no parent.
  process.channel?.unref();
}
