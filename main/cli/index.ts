/** Entry of the `synos-cc` binary. */
import { runCli } from './program';

const code = await runCli(process.argv.slice(2));
// Commands release what they open; exiting explicitly also ends any straggling timer or socket
// once stdout has been flushed.
process.stdout.write('', () => process.exit(code));
