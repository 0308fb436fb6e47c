import type { CliCommand } from '../command';
import { checkCommand } from './check';
import { convertCommand } from './convert';
import { simulateCommand } from './simulate';
import { exploreCommand } from './explore';

/** Every `lutdla` sub-command; each lives in a file of its own. */
export const commands: CliCommand[] = [checkCommand, convertCommand, simulateCommand, exploreCommand];
