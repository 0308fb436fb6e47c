import { UserError, type CliCommand } from '../command';

export const simulateCommand: CliCommand = {
  name: 'simulate',
  summary: '(not built yet)',
  usage: 'lutdla simulate',
  options: {},
  async run() {
    throw new UserError('lutdla simulate is not built yet');
  },
};
