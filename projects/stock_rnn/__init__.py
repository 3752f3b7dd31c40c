"""stock_rnn: one template of the collection (README.md). Its modules import each other
relatively and take the run name from the folder, so a copied folder runs as itself."""

NAME = __name__.rpartition(".")[2]  # runs/<NAME>/, the folder's own name
