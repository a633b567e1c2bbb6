import { isSendableCloseCode } from './close-codes';

describe('isSendableCloseCode', () => {
  it.each([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999])('allows %i', (code) => {
    expect(isSendableCloseCode(code)).toBe(true);
  });

  it.each([0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 1000.5, NaN])('refuses %s', (code) => {
    expect(isSendableCloseCode(code)).toBe(false);
  });
});
