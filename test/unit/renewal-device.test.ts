import { encodeCn } from '../../src/domain/cn';
import { renewalDevice } from '../../src/services/certificate-renewal';

describe('renewalDevice', () => {
  it.each([
    ['laptop', 'laptop-r2'],
    ['laptop-r2', 'laptop-r3'],
    ['work-laptop-r9', 'work-laptop-r10'],
    [undefined, 'r2'],
    ['r2', 'r3'],
    ['r2d2', 'r2d2-r2'],
    ['abcdefghijklmnopqrstuvwx', 'abcdefghijklmnopqrstu-r2'],
    ['abcdefghijklmnopqrst-r99', 'abcdefghijklmnopqrs-r100'],
  ])('%s → %s', (device, renewed) => {
    expect(renewalDevice(device)).toBe(renewed);
  });

  it('always gives a device label the CN codec accepts unchanged, and a CN unlike the old one', () => {
    for (const device of [undefined, 'laptop', 'abcdefghijklmnopqrstuvwx', 'a-r1', 'x'.repeat(24)]) {
      const renewed = renewalDevice(device);
      const before = encodeCn({ displayName: 'Jane Doe', slackId: 'U012ABCDEF', domain: 'vpn.example.com', device });
      const after = encodeCn({
        displayName: 'Jane Doe',
        slackId: 'U012ABCDEF',
        domain: 'vpn.example.com',
        device: renewed,
      });
      expect(after).toContain(`.${renewed}-U012ABCDEF.`);
      expect(after).not.toBe(before);
    }
  });
});
