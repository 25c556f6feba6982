from hoa.cli import app

app(prog_name="hoa")
