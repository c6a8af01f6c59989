"""SPEC §9 operator CLI: ``flask --app app devices|content|users|toys ...``."""

import click
from flask.cli import AppGroup

from blueprints.common import services
from services.errors import ServiceError

devices = AppGroup("devices", help="Licensed devices and their QR codes.")
content = AppGroup("content", help="Songs and stories the toys can play.")
users = AppGroup("users", help="Parent-app accounts.")
toys = AppGroup("toys", help="Bound toys.")


@devices.command("create")
@click.option("--count", default=1, show_default=True, type=click.IntRange(1, 10000),
              help="How many devices to create.")
def devices_create(count):
    """Create devices: print one key per line, write each QR PNG (/get_qr/<key>.png)."""
    for key in services().devices.create(count):
        click.echo(key)


@devices.command("list")
def devices_list():
    """List device keys and the toy each is bound to."""
    for device in services().devices.all():
        click.echo(f"{device['device_key']}\t{device.get('toy_id') or '-'}")


@content.command("add")
@click.option("--title", required=True, help="Title shown in the app and matched by voice.")
@click.option("--music", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Audio file.")
@click.option("--cover", type=click.Path(exists=True, dir_okay=False), help="Cover image.")
def content_add(title, music, cover):
    """Add one song or story."""
    try:
        doc = services().content.add(title, music, cover)
    except ServiceError as error:
        raise click.ClickException(error.msg) from None
    click.echo(f"{doc['_id']}\t{doc['title']}\t{doc['music']}")


@content.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
def content_import(folder):
    """Add every audio file in FOLDER (title = file name; cover = image with the same name)."""
    svc = services().content
    try:
        items = svc.scan_folder(folder)
    except ServiceError as error:
        raise click.ClickException(error.msg) from None
    added = 0
    with click.progressbar(items, label="Importing", show_pos=True) as bar:
        for title, music, cover in bar:
            try:
                svc.add(title, music, cover)
                added += 1
            except ServiceError as error:
                click.echo(f"\nskipped {music.name}: {error.msg}", err=True)
    click.echo(f"imported {added} of {len(items)} files")


@content.command("demo")
def content_demo():
    """Add public-domain nursery tunes made on this machine (synthesised, with covers).

    Running it again adds only the tunes that are missing (matched by title).
    """
    svc = services()
    try:
        added, skipped = svc.content.add_demo(svc.audio)
    except ServiceError as error:
        raise click.ClickException(error.msg) from None
    for doc in added:
        click.echo(f"{doc['_id']}\t{doc['title']}\t{doc['music']}")
    click.echo(f"added {len(added)} demo songs ({len(skipped)} already in the catalogue)")


@users.command("list")
def users_list():
    """List users: id, username, nickname, number of toys."""
    for user in services().store.users.all():
        click.echo(f"{user['_id']}\t{user['username']}\t{user['nickname']}\t"
                   f"{len(user.get('bind_toys', []))} toys")


@toys.command("list")
def toys_list():
    """List toys: id, device key, owner id, toy name, baby name."""
    for toy in services().store.toys.all():
        click.echo(f"{toy['_id']}\t{toy['device_key']}\t{toy['bind_user']}\t"
                   f"{toy['toy_name']}\t{toy['baby_name']}")


COMMANDS = (devices, content, users, toys)
