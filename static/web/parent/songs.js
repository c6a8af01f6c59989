// The song catalogue: covers, play here, or push to one of my toys (/push_music).
import { files } from "/web/common/api.js";
import { announce, clearError, fill, h, setBusy } from "/web/common/ui.js";

export function renderSongs(ctx, preselectedToy) {
  const { toys } = ctx.state;
  const list = h("ul", { class: "list", "aria-label": "Songs" }, h("li", { class: "hint" }, "Loading songs…"));
  const toySelect = h("select", { id: "song-toy" },
    toys.map((toy) => h("option", { value: toy._id, selected: toy._id === preselectedToy }, toy.toy_name)));

  async function push(song, button) {
    clearError();
    const toy = ctx.toy(toySelect.value);
    if (!toy) {
      announce("Bind a toy first to send it songs.", "error");
      return;
    }
    setBusy(button, true);
    try {
      await ctx.api.post("/push_music", { toy_id: toy._id, music: song.music });
      announce(`“${song.title}” sent to ${toy.toy_name}.`, "ok");
    } catch (err) {
      announce(err.message, "error");
    } finally {
      setBusy(button, false);
    }
  }

  function draw(songs) {
    if (!songs.length) {
      fill(list, h("li", {}, "No songs yet. The server's operator adds them with `flask --app app content add`."));
      return;
    }
    fill(list, ...songs.map((song) => {
      const play = h("button", { type: "button", class: "secondary", "aria-label": `Play ${song.title} here` }, "▶ Play here");
      play.addEventListener("click", () => ctx.player.playNow(files.music(song.music), `“${song.title}”`));
      const send = h("button", { type: "button", "aria-label": `Send ${song.title} to the toy`, disabled: !toys.length }, "Send to toy");
      send.addEventListener("click", () => push(song, send));
      return h("li", {},
        song.cover ? h("img", { class: "cover", src: files.image(song.cover), alt: `Cover of ${song.title}` })
          : h("span", { class: "cover", "aria-hidden": "true" }),
        h("span", { class: "grow" }, song.title),
        h("div", { class: "row" }, play, send));
    }));
  }

  async function load() {
    try {
      ctx.state.songs = await ctx.api.post("/content_list", { limit: 200 });
      draw(ctx.state.songs);
    } catch (err) {
      fill(list, h("li", { class: "error-text" }, "The songs could not be loaded."));
      announce(err.message, "error");
    }
  }
  if (ctx.state.songs) draw(ctx.state.songs);
  load();

  const root = h("section", { "aria-labelledby": "songs-title" },
    h("h2", { id: "songs-title" }, "Songs"),
    toys.length ? h("div", { class: "card" }, h("label", { for: "song-toy" }, "Send songs to"), toySelect)
      : h("p", { class: "hint" }, "Bind a toy to send it songs; you can still listen here."),
    list);
  return {
    root,
    onEvent: (name) => name === "reconnect" && load(),
  };
}
