"""Extras: live plotting of the training log in the browser.

In Theano-era Blocks these lived in a separate ``blocks-extras`` package;
here they ship with Blocks and need only the ``plot`` extra
(``pip install -e '.[plot]'``, which brings Bokeh).

"""
