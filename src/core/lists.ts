/** A comma-separated list as written by a user (a flag, a form field): items trimmed, empty ones dropped. */
export function commaList(v: string | undefined): string[] {
  return (v ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}
