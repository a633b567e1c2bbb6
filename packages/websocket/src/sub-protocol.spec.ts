import { selectSubProtocol } from './sub-protocol';

describe('selectSubProtocol', () => {
  const supported = new Set(['json', 'mqtt']);

  it("takes the client's first offer that the service supports", () => {
    expect(selectSubProtocol(['xml', 'json'], supported)).toBe('json');
    expect(selectSubProtocol(['mqtt', 'json'], supported)).toBe('mqtt');
  });

  it('selects nothing when no offer matches or the service supports none', () => {
    expect(selectSubProtocol(['xml'], supported)).toBe(false);
    expect(selectSubProtocol(['json'], new Set())).toBe(false);
  });
});
