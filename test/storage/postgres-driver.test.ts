// The PostgreSQL driver after a connection closes under a query: the next query on that pooled
// connection must connect again and run. postgres.js 3.4.9 kept a cancelled write timer after a
// close, so a reconnected connection never sent anything again and every query on it waited for
// the connect timeout (porsager/postgres#1208; patches/postgres+3.4.9.patch). In the fault tests
// this showed as a source waiting a minute for the next question after a database restart.
import { connect, type Socket } from "node:net";
import postgres from "postgres";
import { afterEach, describe, expect, it } from "vitest";
import { usingPostgres } from "../helpers/db.js";

describe.skipIf(!usingPostgres)("the PostgreSQL driver", () => {
  let client: postgres.Sql | undefined;
  afterEach(() => client?.end({ timeout: 1 }));

  it("runs the next query after a connection closed while a query was being written", async () => {
    const url = new URL(process.env.TEST_DATABASE_URL as string);
    let socket: Socket | undefined;
    // Our own socket, so the test can close it at the one moment that matters (an option the
    // driver has and its types do not list).
    const ownSocket = {
      socket: () =>
        new Promise<Socket>((resolve, reject) => {
          socket = connect(Number(url.port || 5432), url.hostname);
          socket.once("connect", () => resolve(socket as Socket)).once("error", reject);
        }),
    };
    client = postgres(url.href, { max: 1, connect_timeout: 2, onnotice: () => {}, ...ownSocket });
    const sql = client;
    expect(await sql`select 1 as one`).toEqual([{ one: 1 }]);
    // A query issued in the event loop's check phase: its bytes wait for the next turn, and the
    // socket's close, in this turn's close phase, comes first.
    const { cut } = await new Promise<{ cut: Promise<unknown> }>((resolve) =>
      setImmediate(() => {
        const query = sql`select 2 as two`.execute();
        socket?.destroy();
        resolve({ cut: query });
      }),
    );
    await expect(cut).rejects.toThrow();
    const started = Date.now();
    expect(await sql`select 3 as three`).toEqual([{ three: 3 }]);
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});
