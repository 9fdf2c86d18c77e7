import { describe, expect, it } from 'vitest';
import { CoalescedNotify } from '../../src/lib/queue/coalesced-notify';

/** Builds a `send` whose calls finish only when the test releases them. */
function controlledSend() {
  const releases: ((error?: Error) => void)[] = [];
  const send = () =>
    new Promise<void>((resolve, reject) => {
      releases.push((error) => (error ? reject(error) : resolve()));
    });
  return { send, releases };
}

describe('CoalescedNotify', () => {
  it('folds requests made during a send into one more', async () => {
    const { send, releases } = controlledSend();
    const notify = new CoalescedNotify(send, () => undefined);

    notify.request();
    notify.request();
    notify.request();
    expect(releases).toHaveLength(1);

    releases[0]();
    await new Promise((resolve) => setImmediate(resolve));
    expect(releases).toHaveLength(2);

    releases[1]();
    await notify.idle();
    expect(releases).toHaveLength(2);
  });

  it('sends again for a request after it went idle', async () => {
    const { send, releases } = controlledSend();
    const notify = new CoalescedNotify(send, () => undefined);

    notify.request();
    releases[0]();
    await notify.idle();
    notify.request();

    expect(releases).toHaveLength(2);
    releases[1]();
    await notify.idle();
  });

  it('reports a failed send and keeps sending', async () => {
    const { send, releases } = controlledSend();
    const errors: unknown[] = [];
    const notify = new CoalescedNotify(send, (error) => errors.push(error));

    notify.request();
    releases[0](new Error('connection lost'));
    await notify.idle();
    notify.request();
    releases[1]();
    await notify.idle();

    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('connection lost');
    expect(releases).toHaveLength(2);
  });

  it('spaces sends by the minimum interval', async () => {
    const starts: number[] = [];
    const send = async () => {
      starts.push(performance.now());
    };
    const notify = new CoalescedNotify(send, () => undefined, 50);

    notify.request();
    await notify.idle();
    notify.request();
    notify.request();
    await notify.idle();
    notify.request();
    await notify.idle();

    expect(starts).toHaveLength(3);
    // Timers may fire up to a millisecond early against performance.now().
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(49);
    expect(starts[2] - starts[1]).toBeGreaterThanOrEqual(49);
  });

  it('sends the first request at once', async () => {
    const { send, releases } = controlledSend();
    const notify = new CoalescedNotify(send, () => undefined, 60_000);

    notify.request();

    expect(releases).toHaveLength(1);
    releases[0]();
    await notify.idle();
  });

  it('drops requests after close', async () => {
    const { send, releases } = controlledSend();
    const notify = new CoalescedNotify(send, () => undefined);

    notify.request();
    notify.request();
    const closed = notify.close();
    releases[0]();
    await closed;
    notify.request();
    await notify.idle();

    expect(releases).toHaveLength(1);
  });

  it('skips a request waiting for its turn at close', async () => {
    const sends: number[] = [];
    const notify = new CoalescedNotify(async () => {
      sends.push(performance.now());
    }, () => undefined, 60_000);

    notify.request();
    await new Promise((resolve) => setImmediate(resolve));
    notify.request();
    // Without the close, this request would wait a minute for its turn, past the test's time-out.
    await notify.close();

    expect(sends).toHaveLength(1);
  });
});
