export async function runScale() {
  return {};
}
