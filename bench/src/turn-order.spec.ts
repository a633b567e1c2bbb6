import { turnOrder } from './runner';

describe('the order of turns', () => {
  it('rotates from round to round, so every server takes every place once in as many rounds', () => {
    const rounds = [1, 2, 3].map((round) => turnOrder(3, round));
    expect(rounds).toEqual([
      [0, 1, 2],
      [1, 2, 0],
      [2, 0, 1],
    ]);
    for (let place = 0; place < 3; place++) expect(new Set(rounds.map((order) => order[place])).size).toBe(3);
  });
});
