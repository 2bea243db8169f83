// cluster-key-slot (the slot function ioredis itself uses) ships no types.
declare module 'cluster-key-slot' {
  /** The hash slot (0..16383) of a key, honouring {hash tags}. */
  function calculateSlot(key: string | Buffer): number;
  export default calculateSlot;
}
