/** The range end that makes an etcd range or watch cover every key starting with `prefix`. */
export const prefixEnd = (prefix: Buffer): Buffer => {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
};
