import shutil

from composer.card import finish_bundle
from composer.evaluate import evaluation_report


def test_card_is_written_from_real_figures(tiny_bundle, tmp_path, primitive_token_sequences):
    bundle_dir = tmp_path / "bundle"
    shutil.copytree(tiny_bundle, bundle_dir)
    log = tmp_path / "log.csv"
    log.write_text("epoch,loss,val_loss,lr,minutes,tokens_seen,tokens_per_s\n"
                   "1,4.0,3.5,0.002,0.5,1000,30\n2,3.0,2.9,0.002,1.0,2000,30\n")
    report = evaluation_report(bundle_dir, primitive_token_sequences[:3],
                               primitive_token_sequences[3:], data="three pieces")
    card = finish_bundle(bundle_dir, report=report, log_csv=log).read_text()
    assert f"{report['rows'][0]['nll']:.4f}" in card
    assert "KN-6" in card and "ratio" in card
    assert "LSTM 32 → LSTM 32" in card
    assert (bundle_dir / "loss_curve.png").stat().st_size > 1000
    assert (bundle_dir / "metrics.json").is_file() and (bundle_dir / "log.csv").is_file()
