// `dfs up` starts the S3 gateway too: a key pair in its data folder (0600), and the aws and rclone
// lines it prints work as printed.

import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { type Launched, launchDaemon } from '../../src/cli/launch.js';
import { tempDir } from '../helpers/cluster.js';
import { runTool, toolEnv } from '../helpers/s3-cluster.js';
import { waitFor } from '../helpers/wait.js';

describe('dfs up: the S3 gateway', function () {
  this.timeout(60_000);
  let dir: string;
  let up: Launched | undefined;
  let log = '';

  before(async () => {
    if (!existsSync(path.resolve('dist/cli/main.js')))
      throw new Error('dist/ is missing: run `npm run build` first');
    dir = await tempDir('dfs-s3-up-');
    up = launchDaemon(['up', '--port', '0', '--data', path.join(dir, 'data')], {
      env: { ...process.env, DFS_SECRET: '' },
      stdout: 'pipe',
      onLine: (line) => {
        log += `${line}\n`;
      },
    });
    await up.ready;
    // Its log and its ready message travel apart: wait for the last line it prints.
    await waitFor(() => log.includes('Ctrl-C stops the cluster'), 'the lines dfs up prints');
  });
  after(async () => {
    up?.process.kill('SIGTERM');
    await up?.exited;
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('keeps its key pair in the data folder, readable by its owner only', async () => {
    const file = path.join(dir, 'data', 's3-credentials');
    expect((await fs.stat(file)).mode & 0o777).to.equal(0o600);
    const [accessKey, secretKey] =
      (await fs.readFile(file, 'utf8'))
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))[0]
        ?.split(' ') ?? [];
    expect(accessKey).to.match(/^DFS[A-Z0-9]{17}$/);
    expect(log).to.include(
      `AWS_ACCESS_KEY_ID=${accessKey} AWS_SECRET_ACCESS_KEY=${secretKey} aws --endpoint-url`,
    );
  });

  it('prints an aws line and an rclone line that work', async function () {
    const aws = /^ {2}(AWS_ACCESS_KEY_ID=\S+ AWS_SECRET_ACCESS_KEY=\S+) aws (.*)$/m.exec(log);
    const rclone = /^ {2}(rclone .*)$/m.exec(log);
    expect(aws, log).to.not.equal(null);
    expect(rclone, log).to.not.equal(null);
    if (!existsSync('/usr/bin/aws') || !existsSync('/usr/bin/rclone')) {
      process.stderr.write(
        'WARNING: /usr/bin/aws or /usr/bin/rclone is missing: the dfs up S3 lines are not run\n',
      );
      this.skip();
    }
    const env = toolEnv({
      HOME: dir,
      AWS_EC2_METADATA_DISABLED: 'true',
      PATH: `/usr/bin:${process.env.PATH}`,
    });
    const made = await runTool(
      'bash',
      ['-c', `${aws?.[1]} /usr/bin/aws ${aws?.[2]?.replace(/ s3 ls$/, ' s3 mb s3://from-up')}`],
      { env },
    );
    expect(made.code, made.stderr).to.equal(0);
    const listed = await runTool('bash', ['-c', rclone?.[1] ?? ''], { env });
    expect(listed.code, listed.stderr).to.equal(0);
    expect(listed.stdout).to.include('from-up');
  });
});
