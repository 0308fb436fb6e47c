import { UserError, type CliCommand } from '../command';

export const exploreCommand: CliCommand = {
  name: 'explore',
  summary: '(not built yet)',
  usage: 'lutdla explore',
  options: {},
  async run() {
    throw new UserError('lutdla explore is not built yet');
  },
};
