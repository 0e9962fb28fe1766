"""roman_datamodels' tests open their data files beside the module (``Path(__file__).parent
/ "data"``): nothing more is needed here than the folder itself."""
