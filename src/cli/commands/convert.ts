import { UserError, type CliCommand } from '../command';

export const convertCommand: CliCommand = {
  name: 'convert',
  summary: '(not built yet)',
  usage: 'lutdla convert',
  options: {},
  async run() {
    throw new UserError('lutdla convert is not built yet');
  },
};
