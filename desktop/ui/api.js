// The station's commands. Errors arrive as {kind, message, field?, code?}.

const tauri = window.__TAURI__;

export async function call(command, args = {}) {
  if (!tauri) throw { kind: "window", message: { en: "This page runs inside Terroir Station only.", zh: "此页面只能在 Terroir 工作站中运行。" } };
  try {
    return await tauri.core.invoke(command, args);
  } catch (e) {
    throw typeof e === "object" && e !== null ? e : { kind: "station", message: String(e) };
  }
}

export function fileAsText(file) {
  return file.text();
}

export async function fileAsBase64(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
