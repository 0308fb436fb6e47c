import { UserError, type CliCommand } from '../command';

export const checkCommand: CliCommand = {
  name: 'check',
  summary: '(not built yet)',
  usage: 'lutdla check',
  options: {},
  async run() {
    throw new UserError('lutdla check is not built yet');
  },
};
