/** A data file that cannot be read or does not fit the model: the message names the file and what is wrong. */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}
